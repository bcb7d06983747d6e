using System.Text;
using Microsoft.EntityFrameworkCore;

namespace LiveMicro.ServiceDefaults.Data;

public static class SnakeCaseNames
{
    /// <summary>Maps every table and column to its snake_case name, as the SQL migrations spell them, so SQL
    /// written by hand (migrations, psql, reports) needs no quoting.</summary>
    public static ModelBuilder UseSnakeCaseNames(this ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            // converts the current names, so a name a mapping spelled out in snake_case (the outbox's) stays as it is
            if (entity.GetTableName() is { } table) entity.SetTableName(ToSnakeCase(table));
            foreach (var property in entity.GetProperties()) property.SetColumnName(ToSnakeCase(property.GetColumnName()));
        }

        return modelBuilder;
    }

    public static string ToSnakeCase(string name)
    {
        var result = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var startsWord = i > 0 && name[i - 1] != '_' &&
                                 (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (startsWord) result.Append('_');
                result.Append(char.ToLowerInvariant(c));
            }
            else
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }
}
